"""Scrapy commands of the project (`COMMANDS_MODULE`): `crawl`, which fails when the crawl did."""

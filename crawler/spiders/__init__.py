"""Scrapy spiders of shopwright."""

"""shopwright Scrapy project: the generic store spider, page-dataset and extraction pipelines."""

"""For ``scrapyd-deploy``, which builds the egg with ``setup.py bdist_egg``.

Metadata, packages, package data and the ``scrapy`` entry point (``settings =
scholarcrawl.settings``) all come from pyproject.toml.
"""

from setuptools import setup

setup()

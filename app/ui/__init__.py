"""Screens as pure templates: plain data in, HTML text out (checked by pytest without a browser)."""

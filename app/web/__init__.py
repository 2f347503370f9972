"""Server-rendered pages for people: Jinja2 templates, htmx partial updates, plain forms without JS.

Pages call the same services as the API; nothing here holds a business rule.
"""

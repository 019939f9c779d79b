"""busy's migration scripts: <version>_<title>.sql or .py, applied in version order."""

"""Built-in runners: the local namespace sandbox and Docker."""

"""The Internet Identity canister as the frontend sees it: its interface and a typed client."""

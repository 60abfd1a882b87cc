"""User flows: each an awaitable that drives screens and talks to the II canister."""

"""Use cases that span domains (the application layer): each flow calls the domains' services
downward in the caller's unit of work. Domains never import `flows`."""

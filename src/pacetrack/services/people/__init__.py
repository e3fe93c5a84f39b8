"""The people of a tenant: accounts and their roles (``accounts``), and account groups
(``account_groups``)."""

"""Coach accounts, their devices, and the credentials both carry."""

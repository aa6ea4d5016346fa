"""Web Push alerts for share links: families subscribe a browser, the server tells it of
goals, the half- and full-time score and cards, once per event, from the match's log."""

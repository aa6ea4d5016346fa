"""Team calendar feeds: the fixtures as iCalendar, for families to subscribe to."""

"""Stats, fairness and minutes played, read from matches and handed to the core's rules."""

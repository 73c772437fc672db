"""Figure timelines: every figure the reports give for a claim, by what it counts and when."""

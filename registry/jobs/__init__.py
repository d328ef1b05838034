"""Background jobs for bulk work: the job record (state, progress, owner) that the queue's messages point at."""

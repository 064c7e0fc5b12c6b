"""AWS Batch as AWS does it, on top of moto's Batch backend: transitions, rules, updates, jobs and the executor."""

"""`goalstream run`: the infrastructure and the three services under one supervisor.

Checks its ports before it starts anything; starts the embedded PostgreSQL and Kafka-protocol broker
where no servers are configured, then the three services as child processes; waits until each answers
/ready; writes the addresses file, prints the URLs, the demo API key and a working curl example;
restarts a service that exits, and stops the run (reporting the last lines of its log) when one
keeps exiting; on Ctrl-C or SIGTERM stops every process it started, the servers last.
"""

"""The ops dashboard: reads every service and Kafka, writes only replays and their audit trail."""

-- The databases every later migration writes into.
CREATE DATABASE IF NOT EXISTS ${event_sink} ${on_cluster};
CREATE DATABASE IF NOT EXISTS ${xapi} ${on_cluster};

"""No-Docker sandbox: stand-in LMS and embedded ClickHouse over HTTP. Never production."""

"""二代证 (resident ID card) readers: the SAM serial protocol, its driver and simulator."""

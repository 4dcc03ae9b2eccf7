"""The county review console (经办): staff sign-in, queues, application review and decisions."""

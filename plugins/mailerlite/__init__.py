"""MailerLite provider for hub."""

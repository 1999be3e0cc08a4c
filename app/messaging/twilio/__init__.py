"""Twilio's Programmable Messaging API, spoken over httpx: signatures, sending, callbacks."""

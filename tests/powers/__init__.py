"""Tests of the test powers: faults, restart, custom commands, clock, journal, seeding."""

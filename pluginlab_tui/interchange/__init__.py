"""Interchange formats: curl and HAR."""

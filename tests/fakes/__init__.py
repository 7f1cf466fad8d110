"""Fakes of outside services that speak their real wire format over real HTTP on 127.0.0.1."""

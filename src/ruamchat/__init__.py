"""ruamchat (รวมแชท): every customer conversation, from every channel, in one Thai-first inbox."""

__version__ = "0.1.0"

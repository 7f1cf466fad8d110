"""The knowledge base: categories and articles in Thai and English, their search, and the public help center."""

"""Unit tests of the Python side (stdlib unittest); `npm test` runs them via test/python-package.test.ts."""

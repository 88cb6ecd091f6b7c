from impactcheck.cli import entry

entry()

from impactcheck.cli import main

main()

from gridpatrol.cli import main

main()

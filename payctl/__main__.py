from payctl.cli.main import main

main()

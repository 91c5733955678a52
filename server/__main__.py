from server.edge.cli import main

main()

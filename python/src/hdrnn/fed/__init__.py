"""Federated training on Flower (docs/federated.md): a ServerApp (server.py) and a
ClientApp (client.py) that train with any contract trainer through the runner's
executor, the clients' shares of one data set (partition.py), the results in the
runner's schema (records.py), and `hdrnn-run fed`, which runs a whole federation on
this machine's loopback (cli.py)."""

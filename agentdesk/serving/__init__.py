"""Framework adapters: how agentdesk runs under Daphne, Channels and Django's cache.

Each module fits a library to agentdesk where its stock behaviour does not do the job (a body
limit Daphne lacks, an exact websocket origin check, parallel socket authentication, one Redis
pool per worker) and says why; plus the worker's health endpoint and its Daphne options.
"""

"""``ocrflow bench``: pages per second, latency, peak RSS and CER of ocrflow's engine and of
reference engines (RapidOCR, PaddleOCR) on the same pages, each engine in its own process.

* :mod:`ocrflow.bench.pages`: the page set and its ground truth.
* :mod:`ocrflow.bench.engines`: ocrflow and the reference engines behind one interface.
* :mod:`ocrflow.bench.runner`: one child process per engine (and per worker when scaling).
* :mod:`ocrflow.bench.table`: the printed table.
"""

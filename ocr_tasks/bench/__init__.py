"""``ocrflow bench``: pages per second, latency, peak RSS and CER of ocrflow's engine and of
reference engines (RapidOCR, PaddleOCR) on the same pages, each engine in its own process.

* :mod:`ocr_tasks.bench.pages`: the page set and its ground truth.
* :mod:`ocr_tasks.bench.engines`: ocrflow and the reference engines behind one interface.
* :mod:`ocr_tasks.bench.runner`: one child process per engine (and per worker when scaling).
* :mod:`ocr_tasks.bench.table`: the printed table.
"""

"""``python -m tests.synthetic DIR --count N --seed S``: write a folder of examples."""

from tests.synthetic.examples import main

main()

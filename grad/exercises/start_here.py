"""Notebook 00: one warm-up exercise that shows how checking works."""
from grad.exercises import Exercise, close


def _test_square(square):
    for x in (0.0, 3.0, -1.5, 1e3):
        got = square(x)
        if not isinstance(got, (int, float)):
            return f"square({x}) returned {got!r}, not a number"
        if not close(got, x * x):
            return f"square({x}) returned {got}, but {x} * {x} = {x * x}"
    return None


square = Exercise(
    title="Warm-up: square",
    answer_name="square",
    test=_test_square,
    hint_text="multiply x by itself and return the result: `return x * x`.",
    solution_code='''
        def square(x):
            return x * x
    ''',
    mistakes=['''
        def square(x):
            return 2 * x
    ''', '''
        def square(x):
            print(x * x)   # prints, but returns None
    '''],
)

"""Notebook 00: one warm-up exercise that shows how checking works."""
from grad.exercises import Exercise, Mistake, close, function, number, run


def _test_square(square):
    function(square, "square")
    for x in (0.0, 3.0, -1.5, 1e3):
        what = f"square({x})"
        got = number(run(square, x, what=what), what)
        if not close(got, x * x):
            return f"{what} is {got}, but {x} * {x} = {x * x}"
    return None


square = Exercise(
    title="Warm-up: square",
    answer_name="square",
    test=_test_square,
    nudge_text="squaring a number means multiplying it by itself; and the checker looks at "
               "what your function gives back, not at what it prints.",
    hint_text="compute x times x, and hand the result back with `return` (printing it is "
              "not enough: the checker only sees what the function returns).",
    solution_code='''
        def square(x):
            return x * x
    ''',
    mistakes=[Mistake('''
        def square(x):
            return 2 * x
    ''', says="square(3.0) is 6.0, but 3.0 * 3.0 = 9.0"), Mistake('''
        def square(x):
            print(x * x)   # prints, but returns None
    ''', says="is None"), Mistake('''
        def square(x):
            return x ** 3
    ''', says="square(3.0) is 27.0"), Mistake('''
        def square(x):
            return abs(x) * x   # loses the sign rule: (-1.5)² is positive
    ''', says="square(-1.5) is -2.25"), Mistake('''
        def square(x):
            return "x * x"      # the formula as text
    ''', says="is the string"), Mistake('''
        def square(x):
            return [x * x]      # a list holding the number
    ''', says="return the number itself")],
)

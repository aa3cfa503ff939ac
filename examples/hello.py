# A first program for `litmus run`: output streams as it is printed, and the value of the last expression
# comes back as a result, like in a notebook.
import platform

def fizzbuzz(n):
    return "Fizz" * (n % 3 == 0) + "Buzz" * (n % 5 == 0) or str(n)

print(" ".join(fizzbuzz(i) for i in range(1, 16)))
print("running on Python", platform.python_version(), "as", __import__("getpass").getuser())
sum(range(10))

"""The Typer command line. Thin: parse, call one service method, render."""

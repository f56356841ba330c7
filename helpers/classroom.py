"""The old name of ``python -m instructor_tools.classroom``, kept so that older notes and scripts still work."""

if __name__ == "__main__":
    import runpy

    runpy.run_module("instructor_tools.classroom", run_name="__main__", alter_sys=True)

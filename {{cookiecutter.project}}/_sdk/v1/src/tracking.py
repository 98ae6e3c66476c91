"""Azure ML's Run, which train.py logs its metrics to, or a stand-in that prints them when azureml-core is missing."""

try:
    from azureml.core import Run
except ImportError:  # azureml-core not installed: metrics go to stdout only

    class Run:
        """Stand-in for azureml.core.Run when azureml-core is not installed: metrics are printed, nothing is sent."""

        announced = False

        @classmethod
        def get_context(cls):
            """Return a stand-in run, saying once that metrics go to stdout only."""
            if not cls.announced:
                print(
                    "azureml-core is not installed: metrics go to stdout only "
                    "(install the environment in .azureml/pytorch-env.yml to log them to Azure ML)"
                )
                cls.announced = True
            return cls()

        def log(self, name, value, description=""):
            """Print a metric the way the offline azureml Run does."""
            print(f"metric {name}: {value}")

        def log_table(self, name, value, description=""):
            """Print a table metric (a dict of columns, each a list), as 'metric class_accuracy: {'class': [...]}'."""
            print(f"metric {name}: {value}")


def show_metrics():
    """The command that charts this run's metrics, for the run's closing lines: none here (Azure ML Studio does)."""
    return None

"""Run src/hello.py on the compute cluster (tutorial step 3)."""
import aml_project
from azureml.core import Experiment, ScriptRunConfig


def main():
    """Submit hello.py and print the link to the run in Azure ML Studio."""
    ws = aml_project.load_workspace()
    experiment = Experiment(workspace=ws, name=aml_project.HELLO_EXPERIMENT)

    config = ScriptRunConfig(source_directory=str(aml_project.SOURCE_DIR), script="hello.py",
                             compute_target=aml_project.COMPUTE_NAME)

    run = experiment.submit(config)
    aml_url = run.get_portal_url()
    print(aml_url)


if __name__ == "__main__":
    main()

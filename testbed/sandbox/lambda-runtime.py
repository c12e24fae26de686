"""The test bed's runtime interface for Python functions (testbed/lambda-env.ts), at /var/runtime/bootstrap.py.

It does what Lambda's Python runtime interface client does (aws/aws-lambda-python-runtime-interface-client,
awslambdaric/bootstrap.py and lambda_context.py): imports the handler module once, then for each event builds the
context object, calls handler(event, context) and returns its result as JSON; an exception becomes the runtime's error
document {errorMessage, errorType, requestId, stackTrace}, the stack trace formatted by traceback.format_list from the
handler's frame down, and is logged as "[ERROR] Type: message" with the traceback. Instead of the Runtime API over
HTTP, events arrive as JSON lines on stdin and results leave on stdout after a record separator (0x1E), behind the
function's own output, so that the bed tells each invocation's log apart.
"""

import importlib
import json
import os
import sys
import time
import traceback

RECORD = "\x1e"


class FaultException(Exception):
    IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
    HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
    MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
    USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
    MARSHAL_ERROR = "Runtime.MarshalError"
    UNMARSHAL_ERROR = "Runtime.UnmarshalError"

    def __init__(self, exception_type, msg, trace=None):
        super().__init__(msg)
        self.exception_type = exception_type
        self.msg = msg
        self.trace = trace


def get_handler(handler):
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise FaultException(FaultException.MALFORMED_HANDLER_NAME, "Bad handler '{}': {}".format(handler, str(e)))
    try:
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        raise FaultException(
            FaultException.IMPORT_MODULE_ERROR, "Unable to import module '{}': {}".format(modname, str(e))
        )
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise FaultException(
            FaultException.USER_CODE_SYNTAX_ERROR, "Syntax error in module '{}': {}".format(modname, str(e)), trace
        )
    try:
        return getattr(module, fname)
    except AttributeError:
        raise FaultException(
            FaultException.HANDLER_NOT_FOUND, "Handler '{}' missing on module '{}'".format(fname, modname)
        )


class LambdaContext:
    def __init__(self, invoke_id, deadline_ms, invoked_function_arn):
        self.aws_request_id = invoke_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.client_context = None
        self.identity = None
        self._epoch_deadline_time_in_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        delta_ms = self._epoch_deadline_time_in_ms - int(time.time() * 1000)
        return delta_ms if delta_ms > 0 else 0

    def log(self, msg):
        sys.stdout.write(str(msg))


def make_error(error_message, error_type, stack_trace, invoke_id=None):
    return {
        "errorMessage": error_message if error_message else "",
        "errorType": error_type if error_type else "",
        "requestId": invoke_id if invoke_id is not None else "",
        "stackTrace": stack_trace if stack_trace else [],
    }


def fault_result(exc_info, invoke_id=None):
    etype, value, tb = exc_info
    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(tb)]
    # The runtime's own frames are left out: the trace starts in the function's code.
    for i, frame in enumerate(frames):
        if "/bootstrap.py" not in frame[0]:
            frames = frames[i:]
            break
    return make_error(str(value), etype.__name__, traceback.format_list(frames), invoke_id)


def log_error(error):
    lines = ["[ERROR] " + error["errorType"] + (": " + error["errorMessage"] if error["errorMessage"] else "")]
    lines.append("Traceback (most recent call last):")
    for element in error["stackTrace"]:
        for line in element.splitlines():
            stripped = line.lstrip(" ")
            lines.append("\u00a0" * (len(line) - len(stripped)) + stripped)
    sys.stdout.write("\n".join(lines) + "\n")


def send(record):
    sys.stdout.flush()
    sys.stderr.flush()
    os.write(1, (RECORD + json.dumps(record) + "\n").encode("utf-8"))


def main():
    sys.path.insert(0, os.environ.get("LAMBDA_TASK_ROOT", "/var/task"))
    started = time.time()
    init_error = None
    handler = None
    try:
        handler = get_handler(os.environ["_HANDLER"])
    except FaultException as e:
        init_error = make_error(e.msg, e.exception_type, e.trace)
    except Exception:
        init_error = fault_result(sys.exc_info())
    if init_error:
        log_error(init_error)
    send({"ready": True, "initMs": (time.time() - started) * 1000})
    for line in sys.stdin:
        request = json.loads(line)
        invoke_id = request["requestId"]
        if init_error:
            send({"error": init_error})
            continue
        try:
            context = LambdaContext(invoke_id, request["deadlineMs"], request["arn"])
            try:
                event = json.loads(request["event"]) if request["event"] else {}
            except ValueError as e:
                raise FaultException(FaultException.UNMARSHAL_ERROR, "Unable to unmarshal input: {}".format(str(e)))
            response = handler(event, context)
            try:
                result = json.dumps(response)
            except (TypeError, ValueError) as e:
                raise FaultException(FaultException.MARSHAL_ERROR, "Unable to marshal response: {}".format(str(e)))
            send({"result": result})
        except FaultException as e:
            error = make_error(e.msg, e.exception_type, e.trace, invoke_id)
            log_error(error)
            send({"error": error})
        except Exception:
            error = fault_result(sys.exc_info(), invoke_id)
            log_error(error)
            send({"error": error})


if __name__ == "__main__":
    main()

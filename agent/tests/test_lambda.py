"""The Lambda entry point is reserved: it refuses every call until its engine exists."""
import unittest

from efsync_agent.lambda_handler import handler


class Handler(unittest.TestCase):
    def test_refuses_the_call(self):
        with self.assertRaises(NotImplementedError) as caught:
            handler({'job': {}}, None)
        self.assertIn('the Lambda engine is not built yet', str(caught.exception))


if __name__ == '__main__':
    unittest.main()

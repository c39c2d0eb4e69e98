"""Inventory import (台账导入), the same sheet back out, and signboards in batch."""

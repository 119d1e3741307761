from tests.certificates.conftest import developer
from tests.personas import buyer, developer_admin, sub_buyer

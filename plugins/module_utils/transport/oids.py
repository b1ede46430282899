# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every SNMP object the collection reads or writes, with its MIB name.

Numeric OIDs only: the Printer MIB, HOST-RESOURCES-MIB and Canon MIBs are not bundled with
pysnmp, and MIB compilation would add a run-time dependency for no gain. Sources for each
Canon OID are in docs/device-protocols.md.
"""

from __future__ import annotations

# --- SNMPv2-MIB / RFC 1213 (system group) -------------------------------------------------
SYS_DESCR = "1.3.6.1.2.1.1.1.0"          # sysDescr
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"      # sysObjectID
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"         # sysUpTime (TimeTicks, 1/100 s)
SYS_CONTACT = "1.3.6.1.2.1.1.4.0"        # sysContact (writable)
SYS_NAME = "1.3.6.1.2.1.1.5.0"           # sysName (writable)
SYS_LOCATION = "1.3.6.1.2.1.1.6.0"       # sysLocation (writable)
SYS_SERVICES = "1.3.6.1.2.1.1.7.0"       # sysServices

# --- IF-MIB -------------------------------------------------------------------------------
IF_PHYS_ADDRESS = "1.3.6.1.2.1.2.2.1.6"   # ifPhysAddress (column; index = ifIndex)
IF_PHYS_ADDRESS_1 = IF_PHYS_ADDRESS + ".1"
IF_PHYS_ADDRESS_2 = IF_PHYS_ADDRESS + ".2"

# --- HOST-RESOURCES-MIB (RFC 2790) ---------------------------------------------------------
HR_DEVICE_TYPE_1 = "1.3.6.1.2.1.25.3.2.1.2.1"       # hrDeviceType.1
HR_DEVICE_DESCR_1 = "1.3.6.1.2.1.25.3.2.1.3.1"      # hrDeviceDescr.1
HR_DEVICE_ID_1 = "1.3.6.1.2.1.25.3.2.1.4.1"         # hrDeviceID.1 (model-specific OID on Canon)
HR_DEVICE_STATUS_1 = "1.3.6.1.2.1.25.3.2.1.5.1"     # hrDeviceStatus.1
HR_PRINTER_STATUS_1 = "1.3.6.1.2.1.25.3.5.1.1.1"    # hrPrinterStatus.1 (Canon: always other(1))
HR_PRINTER_ERROR_STATE_1 = "1.3.6.1.2.1.25.3.5.1.2.1"  # hrPrinterDetectedErrorState.1
HR_DEVICE_PRINTER = "1.3.6.1.2.1.25.3.1.5"          # hrDevicePrinter (value of hrDeviceType)

# --- Printer-MIB (RFC 3805), prtGeneral ---------------------------------------------------
PRT_GENERAL_RESET_1 = "1.3.6.1.2.1.43.5.1.1.3.1"        # prtGeneralReset.1 (powerCycleReset = 4)
PRT_GENERAL_PRINTER_NAME_1 = "1.3.6.1.2.1.43.5.1.1.16.1"  # prtGeneralPrinterName.1
PRT_GENERAL_SERIAL_1 = "1.3.6.1.2.1.43.5.1.1.17.1"      # prtGeneralSerialNumber.1
PRT_COVER_DESCRIPTION = "1.3.6.1.2.1.43.6.1.1.2.1"      # prtCoverDescription (table, device 1)
PRT_COVER_STATUS = "1.3.6.1.2.1.43.6.1.1.3.1"           # prtCoverStatus (table, device 1)

# prtInputTable columns (hrDeviceIndex 1), index = prtInputIndex
PRT_INPUT = "1.3.6.1.2.1.43.8.2.1"
PRT_INPUT_TYPE = PRT_INPUT + ".2.1"
PRT_INPUT_MEDIA_DIM_FEED = PRT_INPUT + ".4.1"
PRT_INPUT_MAX_CAPACITY = PRT_INPUT + ".9.1"
PRT_INPUT_CURRENT_LEVEL = PRT_INPUT + ".10.1"
PRT_INPUT_STATUS = PRT_INPUT + ".11.1"
PRT_INPUT_MEDIA_NAME = PRT_INPUT + ".12.1"
PRT_INPUT_NAME = PRT_INPUT + ".13.1"

# prtMarkerTable
PRT_MARKER_COUNTER_UNIT_1 = "1.3.6.1.2.1.43.10.2.1.3.1.1"   # prtMarkerCounterUnit.1.1
PRT_MARKER_LIFE_COUNT_1 = "1.3.6.1.2.1.43.10.2.1.4.1.1"     # prtMarkerLifeCount.1.1

# prtMarkerSuppliesTable columns (hrDeviceIndex 1), index = prtMarkerSuppliesIndex
PRT_SUPPLIES = "1.3.6.1.2.1.43.11.1.1"
PRT_SUPPLIES_COLORANT_INDEX = PRT_SUPPLIES + ".3.1"
PRT_SUPPLIES_CLASS = PRT_SUPPLIES + ".4.1"
PRT_SUPPLIES_TYPE = PRT_SUPPLIES + ".5.1"
PRT_SUPPLIES_DESCRIPTION = PRT_SUPPLIES + ".6.1"
PRT_SUPPLIES_UNIT = PRT_SUPPLIES + ".7.1"
PRT_SUPPLIES_MAX_CAPACITY = PRT_SUPPLIES + ".8.1"
PRT_SUPPLIES_LEVEL = PRT_SUPPLIES + ".9.1"

# prtMarkerColorantTable: prtMarkerColorantValue, index = prtMarkerColorantIndex
PRT_COLORANT_VALUE = "1.3.6.1.2.1.43.12.1.1.4.1"

# prtConsoleDisplayBufferTable
PRT_CONSOLE_DISPLAY_TEXT = "1.3.6.1.2.1.43.16.5.1.2.1"   # prtConsoleDisplayBufferText (device 1)

# prtAlertTable columns (hrDeviceIndex 1), index = prtAlertIndex
PRT_ALERT = "1.3.6.1.2.1.43.18.1.1"
PRT_ALERT_SEVERITY = PRT_ALERT + ".2.1"
PRT_ALERT_TRAINING_LEVEL = PRT_ALERT + ".3.1"
PRT_ALERT_GROUP = PRT_ALERT + ".4.1"
PRT_ALERT_GROUP_INDEX = PRT_ALERT + ".5.1"
PRT_ALERT_LOCATION = PRT_ALERT + ".6.1"
PRT_ALERT_CODE = PRT_ALERT + ".7.1"
PRT_ALERT_DESCRIPTION = PRT_ALERT + ".8.1"
PRT_ALERT_TIME = PRT_ALERT + ".9.1"

# The Printer MIB subtree: any object under it marks a Printer-MIB device.
PRINTER_MIB = "1.3.6.1.2.1.43"
# First rows of the Printer-MIB tables that mark a printer (identification probes, one GET).
PRT_SUPPLIES_DESCRIPTION_1_1 = "1.3.6.1.2.1.43.11.1.1.6.1.1"   # prtMarkerSuppliesDescription.1.1
PRT_INPUT_NAME_1_1 = "1.3.6.1.2.1.43.8.2.1.13.1.1"             # prtInputName.1.1

# --- Finisher MIB (RFC 3806) ----------------------------------------------------------------
FIN_SUPPLY = "1.3.6.1.2.1.43.31.1.1"          # finSupplyEntry, index hrDeviceIndex.finSupplyIndex
FIN_SUPPLY_CLASS = FIN_SUPPLY + ".3"          # finSupplyClass
FIN_SUPPLY_TYPE = FIN_SUPPLY + ".4"           # finSupplyType (PrtMarkerSuppliesTypeTC: 32 staples)
FIN_SUPPLY_DESCRIPTION = FIN_SUPPLY + ".5"    # finSupplyDescription
FIN_SUPPLY_UNIT = FIN_SUPPLY + ".6"           # finSupplySupplyUnit
FIN_SUPPLY_MAX_CAPACITY = FIN_SUPPLY + ".7"   # finSupplyMaxCapacity
FIN_SUPPLY_LEVEL = FIN_SUPPLY + ".8"          # finSupplyCurrentLevel

# --- printer makers' own identity objects (public monitoring projects; docs/device-protocols.md) ----
BROTHER_SERIAL = "1.3.6.1.4.1.2435.2.3.9.4.2.1.5.5.1.0"
BROTHER_FIRMWARE = "1.3.6.1.4.1.2435.2.4.3.1240.6.5.0"
KYOCERA_MODEL = "1.3.6.1.4.1.1347.43.5.1.1.1.1"
KYOCERA_SERIAL = "1.3.6.1.4.1.1347.43.5.1.1.28.1"
KYOCERA_FIRMWARE = "1.3.6.1.4.1.1347.43.5.4.1.5.1.1"
RICOH_SERIAL = "1.3.6.1.4.1.367.3.2.1.2.1.4.0"
KONICA_FIRMWARE = "1.3.6.1.4.1.18334.1.1.1.1.6.1.0"   # Konica Minolta controller firmware (e.g. 1.102)
HP_FIRMWARE_DATECODE = "1.3.6.1.4.1.11.2.3.9.4.2.1.1.3.5.0"   # HP fw-rom datecode, value behind 2 bytes 01 15

# --- PWG Port Monitor MIB -----------------------------------------------------------------
PPM_PRINTER_NAME_1 = "1.3.6.1.4.1.2699.1.2.1.2.1.1.2.1"   # ppmPrinterName.1

# --- Canon enterprise 1602 ------------------------------------------------------------------
CANON_ENTERPRISE = "1.3.6.1.4.1.1602"
CANON_PRODUCT_NAME = "1.3.6.1.4.1.1602.1.1.1.1.0"       # canPdInfoProductName
CANON_PRODUCT_VERSION = "1.3.6.1.4.1.1602.1.1.1.4.0"    # canPdInfoProductVersion (controller firmware)
CANON_SERIAL = "1.3.6.1.4.1.1602.1.2.1.4.0"             # serial number, scalar form
CANON_SERIAL_DEVICE_NUMBER = "1.3.6.1.4.1.1602.1.2.1.8.1.3.1.1"  # canServInfoSerialNumberDeviceNumber

# Canon counter tables (1602.1.11). Index = Canon counter ID for the display and "all"
# tables; a running index for the self-describing table.
CANON_COUNTERS = "1.3.6.1.4.1.1602.1.11"
CANON_DISPLAY_COUNTER = "1.3.6.1.4.1.1602.1.11.1.3.1"        # .2 code, .3 name, .4 value
CANON_DISPLAY_COUNTER_CODE = CANON_DISPLAY_COUNTER + ".2"
CANON_DISPLAY_COUNTER_NAME = CANON_DISPLAY_COUNTER + ".3"
CANON_DISPLAY_COUNTER_VALUE = CANON_DISPLAY_COUNTER + ".4"
CANON_ALL_COUNTER = "1.3.6.1.4.1.1602.1.11.1.4.1"            # .2 code, .3 name, .4 value
CANON_ALL_COUNTER_CODE = CANON_ALL_COUNTER + ".2"
CANON_ALL_COUNTER_NAME = CANON_ALL_COUNTER + ".3"
CANON_ALL_COUNTER_VALUE = CANON_ALL_COUNTER + ".4"
CANON_NAMED_COUNTER = "1.3.6.1.4.1.1602.1.11.2.1.1"          # .2 name, .3 value (MF/LBP)
CANON_NAMED_COUNTER_NAME = CANON_NAMED_COUNTER + ".2"
CANON_NAMED_COUNTER_VALUE = CANON_NAMED_COUNTER + ".3"


def oid_tuple(oid: str) -> tuple:
    """'1.3.6' -> (1, 3, 6); tolerates a leading dot."""
    return tuple(int(part) for part in oid.strip(".").split("."))


def oid_str(oid) -> str:
    """(1, 3, 6) or '.1.3.6' -> '1.3.6'."""
    if isinstance(oid, str):
        return oid.strip(".")
    return ".".join(str(int(part)) for part in oid)


def is_under(oid: str, root: str) -> bool:
    """True when ``oid`` lies strictly below ``root`` (arc-wise, not string prefix)."""
    o, r = oid_tuple(oid), oid_tuple(root)
    return len(o) > len(r) and o[:len(r)] == r


def index_of(oid: str, column: str) -> tuple:
    """The index arcs of ``oid`` below table column ``column``."""
    o, c = oid_tuple(oid), oid_tuple(column)
    if o[:len(c)] != c:
        raise ValueError("%s is not under %s" % (oid, column))
    return o[len(c):]
